import factory
from factory.django import DjangoModelFactory

from accounts.models import User
from accounts.roles import Role

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Faker("name")
    email_verified = True
    role = Role.VIEWER
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def sync_role_group(self, create, extracted, **kwargs):
        if create:
            self.save()
            from django.contrib.auth.models import Group

            self.groups.set(Group.objects.filter(name=self.role))
