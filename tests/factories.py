"""factory_boy factories shared by every app's tests."""

from __future__ import annotations

from typing import Any

import factory

from accounts.models import User, UserProfile

DEFAULT_PASSWORD = "Correct-Horse-42!"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"learner{n}@example.com")
    username = factory.Sequence(lambda n: f"learner{n}")
    first_name = "Min"
    last_name = "Kim"
    # Verified, like most learners a test plays: an unverified account may not pay or invite
    # (ACCOUNTS_UNVERIFIED_MAY_NOT). Tests about verification ask for email_verified=False.
    email_verified = True
    password = factory.django.Password(DEFAULT_PASSWORD)

    @factory.post_generation
    def profile(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            UserProfile.objects.get_or_create(user=self, defaults=kwargs)
