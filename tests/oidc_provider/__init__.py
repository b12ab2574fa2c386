"""A tiny OpenID Connect identity provider (django-oauth-toolkit) for the sign-in tests.

It runs as a second process next to the test server (see ``mentorfold/accounts/tests/test_sso_flow.py``),
with its own SQLite database and RSA signing key in a temporary folder. Never used outside tests.
"""
