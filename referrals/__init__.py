"""Referrals: the directory of skills-development institutions, routing, the referral workflow."""
