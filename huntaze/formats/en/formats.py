"""English: ISO 8601, 2026-12-07 19:18 everywhere (Django's DATE_INPUT_FORMATS start with
%Y-%m-%d): unambiguous for an English reader on either side of the Atlantic, 24-hour clock."""

DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
MONTH_DAY_FORMAT = "m-d"  # the date hierarchy's days and the dashboard's axes
