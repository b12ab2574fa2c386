"""Mentorfold settings: one module, read from the environment (django-environ).

Development defaults (DEBUG on, SQLite in var/, console e-mail) need no configuration.
Production sets DEBUG=false and must provide SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import django.conf.locale
import environ
from django.core.exceptions import ImproperlyConfigured

from mentorfold.core import languages as _languages

SRC_DIR = Path(__file__).resolve().parent
BASE_DIR = SRC_DIR.parent.parent
VAR_DIR = Path(environ.Env().str("MENTORFOLD_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)


def _secret_key() -> str:
    """Use SECRET_KEY from the environment; in development generate one into var/ on first run."""
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set in production (DEBUG=false).")
    key_file = VAR_DIR / "secret_key.txt"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Who runs this installation: shown in the header, the footer and on the About page.
SOCIETY_NAME = env.str("SOCIETY_NAME", default="")
SOCIETY_CONTACT_EMAIL = env.str("SOCIETY_CONTACT_EMAIL", default="")
SOCIETY_ADDRESS = env.str("SOCIETY_ADDRESS", default="")
SOCIETY_LOGO_URL = env.str("SOCIETY_LOGO_URL", default="")
# The public impact page (/outcomes/impact/) shows suppressed totals only when the society opts in.
OUTCOMES_PUBLIC_IMPACT = env.bool("OUTCOMES_PUBLIC_IMPACT", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "axes",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "rules.apps.AutodiscoverRulesConfig",
    "mentorfold.core",
    "mentorfold.accounts",
    "mentorfold.programs",
    "mentorfold.matching",
    "mentorfold.shadowing",
    "mentorfold.grants",
    "mentorfold.learning",
    "mentorfold.messaging",
    "mentorfold.api",
    "ninja",  # serves the API docs page with its own bundled Swagger UI (no CDN); our template adds lang
    "mentorfold.outcomes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "mentorfold.core.cache_headers.NoStoreForPersonalPages",  # above sessions: sees the session cookie
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mentorfold.core.languages.PreferredLanguageMiddleware",  # after Locale + Auth: a user's saved language
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "mentorfold.accounts.middleware.RequireMFAForPrivilegedRoles",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mentorfold.urls"
WSGI_APPLICATION = "mentorfold.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "mentorfold.core.context_processors.site",
            ],
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'mentorfold.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the task worker writes. A 32 MiB page cache (SQLite's default is
    # 2 MiB, allocated only as used) keeps the indexes of a 100,000-row write in memory: ~20 % faster writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32768;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

# django-allauth: e-mail is the login; e-mail must be verified before the first login.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SIGNUP_FORM_CLASS = "mentorfold.accounts.forms.SignupForm"
ACCOUNT_ADAPTER = "mentorfold.accounts.adapter.AccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Mentorfold] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Mentorfold"
MFA_TOTP_INSECURE_BYPASS_CODE = None

# django-axes: lock an account+address pair after repeated failed logins.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "mentorfold.accounts.lockout.username_from_credentials"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Mentorfold <mentorfold@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

TASKS = {"default": {"BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}}

LANGUAGE_CODE = "en-us"
# A language is listed only when its catalogue under locale/ is complete (every page a learner, guardian,
# patient or visitor sees): core/languages.py OFFERED is the one list, names in their own script.
LANGUAGES = _languages.settings_languages()
LOCALE_PATHS = [SRC_DIR / "locale"]
# Somali is not in Django's LANG_INFO (the documented extension: merge extra entries into it).
django.conf.locale.LANG_INFO = {**django.conf.locale.LANG_INFO, **_languages.EXTRA_LANG_INFO}
FORMAT_MODULE_PATH = ["mentorfold.formats"]
LANGUAGE_COOKIE_NAME = "mentorfold_language"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365  # a year: people opening a QR link again keep their language
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = not DEBUG
TIME_ZONE = env.str("TIME_ZONE", default="America/Los_Angeles")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns at start-up when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Uploaded documents are private: stored outside any public URL and served through permission-checked views.
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))
MEDIA_ROOT = PRIVATE_MEDIA_ROOT
MEDIA_URL = ""  # never served publicly: documents go through permission-checked views
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Content security policy (django-csp 4): scripts and styles from our own origin only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "django.tasks": {"level": "WARNING"}},
}


# --- Sign-in with the organisation's account (SSO) ---
# OpenID Connect through allauth's openid_connect provider, configured only from the environment and off unless
# SSO_OIDC_ISSUER is set. Rules (accounts/sso.py): only e-mail domains in SSO_OIDC_ALLOWED_DOMAINS; new people get
# SSO_OIDC_DEFAULT_ROLE (mentor or learner, never a privileged role) and answer the normal sign-up questions; an
# existing account is linked only when the provider says the e-mail is verified; coordinators, reviewers and
# staff still pass the authenticator step unless SSO_OIDC_TRUST_AMR is on and the ID token's amr names a second
# factor. See docs/sso.md (also for SAML, documented but not tested in CI).
SSO_OIDC_PROVIDER_ID = "org"  # callback: /accounts/oidc/org/login/callback/
SSO_OIDC_ISSUER = env.str("SSO_OIDC_ISSUER", default="").rstrip("/")
SSO_OIDC_NAME = env.str("SSO_OIDC_NAME", default="") or "your organisation"
SSO_OIDC_ALLOWED_DOMAINS = [
    d.strip().lower().lstrip("@") for d in env.list("SSO_OIDC_ALLOWED_DOMAINS", default=[]) if d.strip()
]
SSO_OIDC_DEFAULT_ROLE = env.str("SSO_OIDC_DEFAULT_ROLE", default="")
SSO_OIDC_TRUST_AMR = env.bool("SSO_OIDC_TRUST_AMR", default=False)
if SSO_OIDC_DEFAULT_ROLE not in {"", "mentor", "learner"}:
    raise ImproperlyConfigured(
        f"SSO_OIDC_DEFAULT_ROLE={SSO_OIDC_DEFAULT_ROLE!r}: use mentor or learner. Coordinator and reviewer "
        "are given by a coordinator's invitation, never by signing in."
    )
SOCIALACCOUNT_PROVIDERS: dict[str, dict[str, object]] = {}
if SSO_OIDC_ISSUER:
    _sso_missing = [
        name
        for name in ("SSO_OIDC_CLIENT_ID", "SSO_OIDC_CLIENT_SECRET", "SSO_OIDC_DEFAULT_ROLE")
        if not env.str(name, default="")
    ]
    if not SSO_OIDC_ALLOWED_DOMAINS:
        _sso_missing.append("SSO_OIDC_ALLOWED_DOMAINS")
    if _sso_missing:
        raise ImproperlyConfigured(f"SSO_OIDC_ISSUER is set: also set {', '.join(_sso_missing)}.")
    if not SSO_OIDC_ISSUER.startswith("https://") and not DEBUG:
        raise ImproperlyConfigured("SSO_OIDC_ISSUER must start with https:// in production (DEBUG=false).")
    SOCIALACCOUNT_PROVIDERS["openid_connect"] = {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": SSO_OIDC_PROVIDER_ID,
                "name": SSO_OIDC_NAME,
                "client_id": env.str("SSO_OIDC_CLIENT_ID"),
                "secret": env.str("SSO_OIDC_CLIENT_SECRET"),
                # allauth reads <issuer>/.well-known/openid-configuration and checks the ID token's iss and aud.
                "settings": {"server_url": SSO_OIDC_ISSUER},
            }
        ],
    }
    # Browsers apply form-action to the redirect after the "Sign in with ..." button: allow the provider.
    _sso_origin = "/".join(SSO_OIDC_ISSUER.split("/", 3)[:3])
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(_sso_origin)
SOCIALACCOUNT_ADAPTER = "mentorfold.accounts.sso.SSOSocialAccountAdapter"
SOCIALACCOUNT_FORMS = {"signup": "mentorfold.accounts.sso.SSOSignupForm"}
SOCIALACCOUNT_AUTO_SIGNUP = (
    False  # new people answer the normal sign-up questions (role fixed by the society)
)
SOCIALACCOUNT_EMAIL_REQUIRED = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True  # only addresses the provider marks verified (allauth's rule)
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_LOGIN_ON_GET = False  # the button posts (CSRF); a link alone never starts a sign-in
SOCIALACCOUNT_STORE_TOKENS = False
# --- end SSO ---
