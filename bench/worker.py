"""`celery -A dpo_portal worker ARGS...`, the project's own worker, with one addition: every SQL
statement its tasks send through Django is counted (a Django execute wrapper in each pool
process) and the count is added to a Redis key after each task, so the benchmark can report
the sweep's query count without a statement log or pg_stat_statements.

    python bench/worker.py --concurrency=2 --loglevel=WARNING
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from celery.signals import task_postrun, worker_process_init  # noqa: E402

QUERY_COUNT_KEY = "bench:worker:queries"
_executed = [0]


def _count(execute, sql, params, many, context):
    _executed[0] += 1
    return execute(sql, params, many, context)


@worker_process_init.connect
def _install_counter(**kwargs):
    from django.db import connections

    for connection in connections.all():
        connection.execute_wrappers.append(_count)


@task_postrun.connect
def _publish_count(**kwargs):
    import redis

    count, _executed[0] = _executed[0], 0
    redis.Redis.from_url(os.environ["REDIS_URL"]).incrby(QUERY_COUNT_KEY, count)


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dpo_portal.settings")
    from celery.bin.celery import main as celery_main

    sys.argv = ["celery", "-A", "dpo_portal", "worker", *sys.argv[1:]]
    celery_main()


if __name__ == "__main__":
    main()
