"""China's Ministry of Foreign Affairs: countermeasure decisions (反制措施的决定, 外交部令)
and their 反制清单, read from the MFA's 反制裁 column."""
