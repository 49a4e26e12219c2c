"""Payments: a server-priced catalog, orders paid through a gateway (PortOne V2), refunds."""
