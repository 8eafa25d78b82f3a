# Two commands for a newcomer: `make run` and `make test`. Nothing needed but Python 3.11+.
# Without DATABASE_URL both start the embedded PostgreSQL server in .pgdata/ (git-ignored).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: setup run test test-fast upgrade-check lint format bench bench-scale bench-import bench-email check-deploy clean-db dashboard-screenshot browser admin-screenshots

$(STAMP): requirements.txt requirements-dev.txt
	@echo "Installing the Python packages into $(VENV)/ (the first time takes about a minute)..."
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

setup: $(STAMP)

# migrate (quietly; a no-op when up to date), the dashboard's demo activity (idempotent), then the
# job worker in the background (it sends the emails: the console backend prints them) and the
# dev server, which seeds first (idempotent: a re-run keeps the data and the passwords) and
# prints the accounts and links last, once it listens (demo/management/commands/runserver.py).
# Ctrl-C stops both: the shell's trap stops the worker (which finishes its running job) when
# the server ends. SEED_PASSWORD=... sets both seeded users' password. Django's "development
# server" warning is hidden: this target is development only.
run: setup
	@echo "Preparing the database (the embedded PostgreSQL in .pgdata/ unless DATABASE_URL is set)..."
	@DJANGO_DEBUG=true $(PY) manage.py migrate --noinput -v 0
	@DJANGO_DEBUG=true $(PY) manage.py seed_beta_activity
	@DJANGO_DEBUG=true LOG_LEVEL=WARNING $(PY) manage.py worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	DJANGO_DEBUG=true DJANGO_RUNSERVER_HIDE_WARNING=true $(PY) manage.py runserver --seed $(HOST):$(PORT)

test: setup browser
	$(PY) -m pytest $(PYTEST_ARGS)

# The admin's browser tests (tests/admin_ui, marked slow) drive Debian's Chromium: install it
# when it is missing (as root with apt-get, like CI), else say what to install.
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Chromium for the browser tests (apt-get install chromium chromium-driver)..."; \
	    apt-get install -y -qq -o DPkg::Lock::Timeout=300 chromium chromium-driver >/dev/null 2>&1 || \
	    { apt-get update -qq -o DPkg::Lock::Timeout=300 >/dev/null && \
	      apt-get install -y -qq -o DPkg::Lock::Timeout=300 chromium chromium-driver >/dev/null; }; \
	  else \
	    echo "note: tests/admin_ui needs chromium and chromedriver (Debian: apt-get install chromium chromium-driver)"; \
	  fi; \
	fi

# Full-page screenshots of the main admin pages into docs/screenshots/ (docs/admin.md), from the
# browser tests' demo beta.
admin-screenshots: setup browser
	ADMIN_SCREENSHOTS=docs/screenshots $(PY) -m pytest tests/admin_ui -q -p no:cacheprovider

# The everyday loop: everything but the tests marked slow (real servers, subprocesses, fuzzing).
test-fast: setup
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

# The newest patch release of every pinned dependency (same minor version) in .venv-upgrade/,
# then the fast tests there: can the next security release be the one-line change it should be?
# (docs/deploy.md, Upgrades; a scheduled CI job runs it weekly.)
upgrade-check:
	PYTHON=$(PYTHON) bash .ci/upgrade-check

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The benchmark (docs/benchmark.md): fresh seeded database, the Procfile's server, 50 clients.
# Tune with BENCH_* variables, e.g. `make bench BENCH_SERVERS=sync,gthread,granian`.
bench: setup
	$(PY) -m bench

# Cost as the data grows (docs/benchmark.md, Scale): 10k assets through the API, then 1M and 5M
# with SQL, the server restarted between sizes; ratios to 10k. BENCH_SCALE_SIZES=10k,50k: quick.
bench-scale: setup
	$(PY) -m bench.scale

# Emails off the request path (docs/jobs.md, Targets): the Procfile's web and worker lines, an
# SMTP server taking 1 s a message; 50 invites from the admin's bulk page, password resets.
bench-email: setup
	$(PY) -m bench.email

# The import of the Prisma-era database (docs/migration.md): 10,000 users + 100,000 assets.
bench-import: setup
	$(PY) -m bench.legacy

# The Beta dashboard in headless Chromium (Debian: apt-get install chromium chromium-driver):
# a fresh dev server with the seeded data, a real sign-in, checks, docs/dashboard.png.
dashboard-screenshot: setup
	$(PY) -m tests.dashboard.browser

check-deploy: setup
	DJANGO_DEBUG=false DJANGO_SECRET_KEY=deploy-check-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
	DJANGO_ALLOWED_HOSTS=api.huntaze.com CSRF_TRUSTED_ORIGINS=https://app.huntaze.com \
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} \
	$(PY) manage.py check --deploy --fail-level WARNING

clean-db:
	rm -rf .pgdata
