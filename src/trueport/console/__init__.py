"""The web console: the Angular app in ``console/``, built into ``dist/`` here and served at ``/console``."""
