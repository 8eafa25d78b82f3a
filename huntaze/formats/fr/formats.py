"""French: 07/12/2026 19:18 everywhere (Django's DATE_INPUT_FORMATS start with %d/%m/%Y)."""

DATE_FORMAT = "d/m/Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "d/m/Y H:i"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
MONTH_DAY_FORMAT = "d/m"  # the date hierarchy's days and the dashboard's axes
