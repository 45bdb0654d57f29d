import json

from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from oauth.services import GRANTS, client_create


class Command(BaseCommand):
    help = 'Register an OAuth client; prints {"client_id", "client_secret"} as JSON (the secret only now).'

    def add_arguments(self, parser) -> None:
        parser.add_argument("name")
        parser.add_argument("--grant", required=True, choices=sorted(GRANTS))
        parser.add_argument("--redirect-uri", action="append", default=[], dest="redirect_uris")
        parser.add_argument("--public", action="store_true", help="no secret (browser and native apps; PKCE)")
        parser.add_argument("--scopes", default="", help='the scopes it may request, e.g. "openid config:read"')
        parser.add_argument("--owner", help="e-mail of the user it belongs to (client credentials act as them)")

    def handle(self, *args, **options) -> None:
        try:
            credentials = client_create(
                name=options["name"],
                grant=options["grant"],
                redirect_uris=options["redirect_uris"],
                public=options["public"],
                scopes=options["scopes"].split() or None,
                owner_email=options["owner"],
            )
        except ApplicationError as error:
            raise CommandError(str(error.detail)) from error
        self.stdout.write(json.dumps({"client_id": credentials.client_id, "client_secret": credentials.client_secret}))
