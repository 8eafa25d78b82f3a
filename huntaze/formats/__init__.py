"""Date and number formats per language (``FORMAT_MODULE_PATH``), over Django's own.

One date format per language on every page, the same as the date inputs read and write: the
admin's lists, object pages, date hierarchy, the Beta dashboard and the CSV for French Excel.
Django's English mixed ``12/07/2026 7:18 p.m.`` (short), ``Dec. 7, 2026, 7:18 p.m.`` (long) and
``2026-12-07`` (inputs); its French mixed ``07/12/2026`` and ``7 décembre 2026``. Numbers keep
Django's separators (French ``4 737,5``, English ``4,737.5``) with grouping on
(``USE_THOUSAND_SEPARATOR``).
"""
