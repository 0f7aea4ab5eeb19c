"""Blueprints, one per audience. Handlers parse, authorise, call one service, shape the answer."""
