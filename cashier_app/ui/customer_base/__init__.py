"""Back office → Customers…: the customer base screen (screen.py), its windowed model
(model.py), filters (filter_bar.py), card (card.py) and actions (actions.py)."""

from cashier_app.ui.customer_base.screen import CustomerBaseScreen, open_customer_base

__all__ = ["CustomerBaseScreen", "open_customer_base"]
