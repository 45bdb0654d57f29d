"""schemathesis hooks (SCHEMATHESIS_HOOKS=tests.fuzz.hooks): bodies of the media types it cannot build itself."""
import schemathesis
from hypothesis import strategies as st

# tus PATCH bodies (and creation-with-upload) are raw bytes.
schemathesis.openapi.media_type("application/offset+octet-stream", st.binary(max_size=4096))
schemathesis.openapi.media_type("application/octet-stream", st.binary(max_size=4096))
