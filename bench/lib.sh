# Shared by the benchmarks and fault drills (sourced, not run): a PostgreSQL database seeded with
# demo activities, the portal served by gunicorn with the production configuration
# (deploy/gunicorn.conf.py, DEBUG off), and Celery workers. Everything listens on loopback.
#
# The seeded database (BENCH_DB, default bench_portal) is kept between runs, since seeding a
# million activities takes minutes; `dropdb bench_portal` reclaims its 1-2 GB.

export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
PYTHON="${PYTHON:-.venv/bin/python}"
BIN="$(dirname "$PYTHON")"
BENCH_DB="${BENCH_DB:-bench_portal}"
BENCH_PORT="${BENCH_PORT:-8765}"
BENCH_URL="http://127.0.0.1:$BENCH_PORT"
BENCH_WORK="${BENCH_WORK:-$(mktemp -d)}"
WEB_PID=""
WORKER_PIDS=()
REDIS_PID=""

sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "${2:-$BENCH_DB}" -c "$1"; }
db_url() { echo "postgres://${PGUSER}@${PGHOST}:${PGPORT}/${1:-$BENCH_DB}"; }

machine() {
    echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 " GB" }'),"\
        "$(. /etc/os-release && echo "$PRETTY_NAME"), PostgreSQL $(sql 'SHOW server_version' postgres),"\
        "$("$PYTHON" --version), Django $("$PYTHON" -c 'import django; print(django.get_version())'),"\
        "load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

# The portal as it runs in production, on the benchmark's database and its own Redis database.
# Plain HTTP on loopback; the anonymous API throttle is raised because every request comes from
# one address: the benchmark measures the portal, not the throttle (whose Redis round trip stays).
production_env() {
    export DJANGO_SETTINGS_MODULE=prevent_protect.settings DJANGO_DEBUG=0 DJANGO_SECRET_KEY=bench-not-secret \
        DJANGO_HTTPS=0 DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost SITE_URL="$BENCH_URL" LOG_LEVEL=WARNING \
        DATABASE_URL="$(db_url)" REDIS_URL="${BENCH_REDIS_URL:-redis://127.0.0.1:6379/12}" \
        STATIC_ROOT="$BENCH_WORK/static" MEDIA_ROOT="$BENCH_WORK/media" \
        API_ANON_RATE=1000000/minute EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend
}

# Create, migrate and seed BENCH_DB with N activities unless it already holds exactly N.
prepare_db() {
    local activities="$1"
    [ -n "$(sql "SELECT 1 FROM pg_database WHERE datname = '$BENCH_DB'" postgres)" ] || createdb "$BENCH_DB"
    DATABASE_URL="$(db_url)" DJANGO_DEBUG=1 "$PYTHON" manage.py migrate --verbosity 0
    local have
    have=$(sql "SELECT count(*) FROM activities_activity")
    if [ "$have" != "$activities" ]; then
        echo "seeding $BENCH_DB with $activities activities (it holds $have)..."
        DATABASE_URL="$(db_url)" DJANGO_DEBUG=1 "$PYTHON" manage.py seed_demo --activities "$activities" --seed 1 --reset \
            | tail -n 1
        # What autovacuum does soon after a bulk load: planner statistics and the visibility map.
        sql "VACUUM ANALYZE"
    fi
    # The public pages and API read the latest public release: publish one when there is none.
    if [ "$(sql "SELECT count(*) FROM publication_release")" = 0 ]; then
        DATABASE_URL="$(db_url)" DJANGO_DEBUG=1 "$PYTHON" manage.py publish_release | tail -n 1
    fi
}

# What a wrk run printed (wrk ... --latency > FILE), as "requests req/s p50_ms p99_ms max_ms
# non-2xx/3xx connect read write timeout"; a figure wrk did not print is 0.
wrk_figures() {
    awk '
        function ms(v) {
            if (v ~ /us$/) return v / 1000
            if (v ~ /ms$/) return v + 0
            if (v ~ /m$/) return v * 60000
            return v * 1000
        }
        $1 == "Latency" && NF == 5 { max = ms($4) }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        / requests in / { requests = $1 }
        /^Requests\/sec/ { rps = $2 }
        /Non-2xx or 3xx responses/ { bad = $NF }
        /Socket errors/ { gsub(",", ""); connect = $4; read = $6; write = $8; timeout = $10 }
        END { printf "%d %.0f %.1f %.1f %.1f %d %d %d %d %d\n", requests, rps, p50, p99, max, bad, connect, read, write, timeout }
    ' "$1"
}

wait_for() {  # URL [seconds]: until it answers 200
    for _ in $(seq $((${2:-30} * 10))); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ] && return 0
        sleep 0.1
    done
    echo "$1 did not answer within ${2:-30} s" >&2
    return 1
}

start_web() {
    production_env
    "$PYTHON" manage.py collectstatic --noinput --verbosity 0
    "$BIN/gunicorn" -c deploy/gunicorn.conf.py --bind "127.0.0.1:$BENCH_PORT" "$@" \
        >>"$BENCH_WORK/gunicorn.log" 2>&1 &
    WEB_PID=$!
    wait_for "$BENCH_URL/livez" 60
}

stop_web() {
    [ -n "$WEB_PID" ] || return 0
    kill -TERM "$WEB_PID" 2>/dev/null || true
    wait "$WEB_PID" 2>/dev/null || true
    WEB_PID=""
}

start_worker() {  # prints nothing; the worker's pid is appended to WORKER_PIDS
    production_env
    "$BIN/celery" -A prevent_protect worker --concurrency 1 --loglevel WARNING --without-mingle --without-gossip \
        -n "bench-$RANDOM@%h" >>"$BENCH_WORK/worker.log" 2>&1 &
    WORKER_PIDS+=($!)
}

stop_workers() {
    local pid
    for pid in "${WORKER_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${WORKER_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    WORKER_PIDS=()
}

# A private Redis on its own loopback port, for the drills that restart it or leave jobs behind
# in it: the machine's shared Redis is never touched. No persistence, as the portal's Redis runs
# here, so a restart loses whatever it held. The portal and workers started afterwards use it.
start_redis() {  # PORT
    redis-server --bind 127.0.0.1 --port "$1" --save "" --appendonly no --dir "$BENCH_WORK" \
        >>"$BENCH_WORK/redis.log" 2>&1 &
    REDIS_PID=$! REDIS_PORT="$1"
    export BENCH_REDIS_URL="redis://127.0.0.1:$1/0"
    for _ in $(seq 100); do
        kill -0 "$REDIS_PID" 2>/dev/null && redis-cli -p "$1" ping >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "redis-server did not start on port $1 (see $BENCH_WORK/redis.log)" >&2
    return 1
}

stop_redis() {  # SHUTDOWN NOSAVE: whatever it held is gone
    [ -n "$REDIS_PID" ] || return 0
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill -TERM "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
    REDIS_PID=""
}

cleanup() {
    stop_web
    stop_workers
    stop_redis
    rm -rf "$BENCH_WORK"
}

# wrk shares the two cores with the server: a higher priority keeps its own waits for the CPU out
# of the latencies it records (as root; as it is otherwise).
NICE=()
nice -n -5 true 2>/dev/null && NICE=(nice -n -5)

# "requests/s p50_ms p99_ms errors timeouts" of one wrk run at CONNECTIONS for DURATION seconds
# (more wrk options may follow the URL); errors are non-2xx/3xx answers and socket errors,
# timeouts included.
load() {
    "${NICE[@]}" wrk --threads 2 --connections "$CONNECTIONS" --duration "${DURATION}s" --latency \
        --header "Accept-Encoding: gzip" "$@" >"$BENCH_WORK/wrk.out"
    wrk_figures "$BENCH_WORK/wrk.out" | awk '{ printf "%s %s %s %d %d", $2, $3, $4, $6 + $7 + $8 + $9 + $10, $10 }'
}

# The API token of the ministry's demo user (seed_demo's `staff`), made if it has none.
staff_token() {
    (production_env; "$PYTHON" manage.py shell -c "from rest_framework.authtoken.models import Token
from accounts.models import User; print(Token.objects.get_or_create(user=User.objects.get(username='staff'))[0].key)" \
        2>/dev/null | tail -n 1)
}
