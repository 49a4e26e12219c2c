"""The catalog: products and their prices, set by the server (settings), never by a client."""

from __future__ import annotations

from collections.abc import Iterable

from mocheong_core.payments.errors import ProductNotFound
from mocheong_core.payments.model import Product


class Catalog:
    def __init__(self, products: Iterable[Product]) -> None:
        self._products = {product.code: product for product in products}

    def all(self) -> list[Product]:
        return list(self._products.values())

    def get(self, code: str) -> Product:
        product = self._products.get(code)
        if product is None:
            raise ProductNotFound(f"No product {code!r}")
        return product
