"""Below every domain: the audit trail, errors, the actor and the access policy
(plain facts in, a decision out)."""
