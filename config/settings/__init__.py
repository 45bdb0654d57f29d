"""Settings, one module per concern; `base` composes them and is the module every process loads.

The environment is read only through `config.settings.env` (django-environ), so every variable, its
type and its default are visible in one place per concern.
"""
