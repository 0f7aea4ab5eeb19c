"""The embedded local stack: moto on loopback, the app on :8000, the stream pump.

Not part of the Lambda package: Chalice ships only app.py, chalicelib/ and vendor/.
"""
