# English pages are read in Peru and abroad: "12/06/2026" is 6 December to one reader and 12 June
# to another, so dates name their month ("6 Dec 2026") and times use the 24-hour clock.
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
