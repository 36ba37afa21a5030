"""Turkish dates, one format per kind: a day (01.12.2026), a moment (01.12.2026 14:05), an exact moment with
seconds (consent dates, which İYS compares to the second) and a day in running text (1 Aralık 2026)."""
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
DATETIME_FORMAT = "d.m.Y H:i:s"
TIME_FORMAT = "H:i"
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%Y-%m-%d"]
DATETIME_INPUT_FORMATS = ["%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
                          "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
FIRST_DAY_OF_WEEK = 1
