"""schemathesis hooks for the tus endpoints (loaded through SCHEMATHESIS_HOOKS by tests/fuzz/run_schemathesis.py).

tus bodies are application/offset+octet-stream: raw bytes, which schemathesis only knows how to send for
application/octet-stream; without this alias it reports "Serialization not possible" for those operations.
"""

import schemathesis

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
