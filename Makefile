# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
DEMO_ACTIVITIES ?= 3000
export DJANGO_SETTINGS_MODULE := prevent_protect.settings

.PHONY: run test worker beat lint format messages clean backup restore bench drills cluster-drill

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when a requirements file changed.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

## run: the portal with demo data on http://127.0.0.1:$(PORT) (SQLite, tasks run eagerly)
run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_campaign
	$(BIN)/python manage.py seed_demo --activities $(DEMO_ACTIVITIES) --seed 1
	$(BIN)/python manage.py publish_release
	SITE_URL=http://127.0.0.1:$(PORT) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## test: the whole suite (SQLite by default; CI sets DATABASE_URL and REDIS_URL)
test: $(VENV)/.installed-dev
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

## worker: a Celery worker for the broker in REDIS_URL
worker: $(VENV)/.installed
	$(BIN)/celery -A prevent_protect worker --loglevel INFO

## beat: the scheduler of the periodic report tasks (sweep, purge, monthly reports); run one
beat: $(VENV)/.installed
	$(BIN)/celery -A prevent_protect beat --loglevel INFO

## backup: the database and the media files into BACKUP_DIR/<UTC time>/ (default backups/), private to you
backup: $(VENV)/.installed
	$(BIN)/python bin/backup

## restore: BACKUP=backups/<time> into an empty DATABASE_URL and MEDIA_ROOT, then check the counts; FORCE=1 replaces them
restore: $(VENV)/.installed
	@test -n "$(BACKUP)" || { echo "make restore needs BACKUP=backups/<time>, a folder written by make backup" >&2; exit 2; }
	$(BIN)/python bin/restore "$(BACKUP)"

## bench: the benchmarks on 1,000,000 demo activities in PostgreSQL (about 20 minutes); figures into docs/PERFORMANCE.md
bench: $(VENV)/.installed
	bench/all.sh

## drills: the fault drills: 64 connections for 60 s, a worker killed mid-export, Redis and PostgreSQL restarts
drills: $(VENV)/.installed
	bench/drills.sh

## cluster-drill: the portal as separate nodes in network namespaces (root, minutes): SCENARIO=web-kill|pg-cut|deploy|worker-kill (default all), RUNS=1
cluster-drill: $(VENV)/.installed-dev
	$(BIN)/python bin/cluster-drill $(SCENARIO) --runs $(or $(RUNS),1)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## messages: refresh the translation catalogues after changing visible text
messages: $(VENV)/.installed
	$(BIN)/python manage.py makemessages --locale es --locale en --ignore '.venv/*' --ignore 'node_modules/*' --ignore 'staticfiles/*' --no-obsolete
	$(BIN)/python manage.py compilemessages --ignore '.venv/*' --ignore 'node_modules/*'

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache
