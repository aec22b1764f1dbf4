"""The account lifecycle: email codes, verification, sign-ins, social sign-in, MFA, deletion and
export. Every value can be set from the environment."""

from __future__ import annotations

from .environment import read_bool, read_int  # noqa: F401

# --- email codes, verification and password reset ----------------------------------------------

# --- sign-ins and lockout ----------------------------------------------------------------------

# --- social sign-in ----------------------------------------------------------------------------

# --- MFA ---------------------------------------------------------------------------------------

# --- deletion ----------------------------------------------------------------------------------

# --- data export -------------------------------------------------------------------------------
