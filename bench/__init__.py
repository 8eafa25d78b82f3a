"""The benchmark harness (docs/benchmark.md): ``make bench`` or ``python -m bench``.

Never imported by the product: ``bench.settings`` (the product's settings plus the floor's URL)
is only ever named by the harness itself. See docs/benchmark.md.
"""
