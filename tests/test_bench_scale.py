"""``make bench-scale`` (bench/scale.py): its sizes and the shapes of what it writes.

The measurement itself runs minutes (docs/benchmark.md, Scale); these check what a wrong
setting or a changed shape would silently spoil: the sizes it reads from the environment, and
that a tenth of the titles the creators post through the API match the search it measures.
"""

from __future__ import annotations

import pytest

from bench.scale import API_ASSETS, SEARCH, Config, api_asset, parse_size, size_label


def test_sizes_read_from_the_environment(monkeypatch):
    assert [parse_size(s) for s in ("10k", "1m", "5M", "2.5m", "60000")] == [
        10_000,
        1_000_000,
        5_000_000,
        2_500_000,
        60_000,
    ]
    assert [size_label(n) for n in (10_000, 1_000_000, 5_000_000, 60_000)] == [
        "10k",
        "1M",
        "5M",
        "60k",
    ]
    monkeypatch.setenv("BENCH_SCALE_SIZES", "10k,50k")
    assert Config.from_env().sizes == [10_000, 50_000]
    for wrong in ("1m,5m", "10k,5m,1m", "10k,ten"):
        monkeypatch.setenv("BENCH_SCALE_SIZES", wrong)
        with pytest.raises(SystemExit):
            Config.from_env()


def test_a_tenth_of_the_api_titles_match_the_measured_search():
    titles = [api_asset(creator, k)["title"] for creator in range(3) for k in range(API_ASSETS)]
    matching = [t for t in titles if SEARCH in t.lower().replace("è", "e")]
    assert len(matching) == len(titles) // 10
    asset = api_asset(0, 1)
    assert set(asset) == {"title", "content", "type", "category", "tags", "metadata"}
    assert asset["content"]
