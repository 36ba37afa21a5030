"""Tests run on the real services: PostgreSQL and Redis on 127.0.0.1."""
from .base import *  # noqa: F401,F403
from .base import env

DEBUG = False
DATABASES = {"default": env.db("TEST_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/ileti")}
DATABASES["default"]["CONN_MAX_AGE"] = 0
REDIS_URL = env("TEST_REDIS_URL", default="redis://127.0.0.1:6379/15")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                      "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 3}}}
# Tests run tasks eagerly unless they start a real worker (see tests/conftest.py: celery_worker).
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A test may point a worker subprocess at a backend that records across processes (env, read at startup).
EMAIL_BACKEND = env("TEST_EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
SMS_BACKEND = env("TEST_SMS_BACKEND", default="citizens.sms.backends.locmem.SmsBackend")
SMS_INBOUND_SECRET = "test-inbound-secret"
TELEPHONY_BACKEND = "citizens.telephony.backends.locmem.TelephonyBackend"
CALL_INBOUND_SECRET = "test-call-secret"
MEDIA_ROOT = env.path("MEDIA_ROOT", default="/tmp/ileti-test-media")
LANGUAGE_CODE = "tr"
# Test-only: push receivers on these networks (the tests' local receiver) pass the public-address check and
# may be plain http (consents/api/egress.py). Read from the environment so a worker subprocess sees it too.
API_PUSH_ALLOWED_PRIVATE_NETWORKS = env.list("TEST_API_PUSH_ALLOWED_PRIVATE_NETWORKS", default=[])
