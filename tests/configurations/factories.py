import factory
from factory.django import DjangoModelFactory

from configurations.models import Environment, Namespace


class NamespaceFactory(DjangoModelFactory):
    class Meta:
        model = Namespace

    slug = factory.Sequence(lambda n: f"service-{n}")
    description = "A service"


class EnvironmentFactory(DjangoModelFactory):
    class Meta:
        model = Environment

    namespace = factory.SubFactory(NamespaceFactory)
    slug = factory.Sequence(lambda n: f"env-{n}")
