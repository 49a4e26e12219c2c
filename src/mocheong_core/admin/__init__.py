"""The admin console's own use cases: the audit log of administrative actions and the counts
of the whole service. The actions themselves belong to their contexts (accounts, pages,
payments)."""
