"""Benchmarks that need the whole app: a real gunicorn started as the Procfile starts
it, and the signed-webhook load benchmark. (Classification and search benchmarks live
beside their code in `intents` and `resources_db`.)"""
