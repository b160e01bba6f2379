"""The assessment lifecycle (draft, submit, decide, sign off, amend) and its referrals."""
