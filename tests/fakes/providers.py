"""The provider fakes live in tzurot_fakes.providers (devtools/), so that `tzurot dev
--fake-providers` can serve them on a bare install; tests import them from here or there."""

from tzurot_fakes.providers import *  # noqa: F403  (its __all__: every fake and script item)
from tzurot_fakes.providers import __all__  # noqa: F401
