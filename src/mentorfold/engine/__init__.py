"""Pure algorithms for Mentorfold: matching, assignment, calibration, allocation.

No Django imports, ever: arrays in, plain results out.
"""

from __future__ import annotations

ENGINE_VERSION = "1.0.0"
