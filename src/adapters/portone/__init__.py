"""PortOne V2: the payment gateway over its REST API, its webhook signatures, and the
sandbox gateway of the embedded mode."""
