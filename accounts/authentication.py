"""Bearer JWT authentication (simplejwt). Session revocation checks are added by the accounts work."""
from rest_framework_simplejwt.authentication import JWTAuthentication


class SessionJWTAuthentication(JWTAuthentication):
    pass
