"""What customers write to support: subjects and sentences, written by hand.

Templates use ``{order}`` (an order id), ``{order_date}``, ``{product}``, ``{email}``, ``{phone}``,
``{first}`` and ``{name}``; the tickets generator fills them in for all rows at once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    """What a ticket is about: its possible subjects and opening sentences."""

    weight: float
    #: true if the templates mention an order (only customers who ordered before can write them)
    about_order: bool
    subjects: tuple[str, ...]
    problems: tuple[str, ...]


# fmt: off
TOPICS: tuple[Topic, ...] = (
    Topic(18, True,
          ("Where is my order?", "Order #{order} not delivered", "Late delivery",
           "Tracking not updating"),
          ("I placed order #{order} on {order_date} and it still has not arrived.",
           "The tracking for order #{order} has not changed for a week.",
           "My order #{order} was supposed to arrive days ago.")),
    Topic(8, True,
          ("Item arrived damaged", "Damaged item in order #{order}", "Broken product"),
          ("The {product} from order #{order} arrived damaged.",
           "The box was crushed and the {product} inside is broken.")),
    Topic(6, True,
          ("Wrong item received", "Wrong product in my parcel"),
          ("I ordered the {product} (order #{order}) but received something else.",
           "Order #{order} contained the wrong item, not the {product} I paid for.")),
    Topic(12, True,
          ("Refund request", "Refund not received yet", "Where is my refund?"),
          ("I returned the {product} from order #{order} but have not been refunded yet.",
           "Please refund order #{order}, the {product} did not meet my expectations.")),
    Topic(9, True,
          ("How do I return an item?", "Return label request"),
          ("I would like to return the {product} from order #{order}.",
           "Could you send me a return label for order #{order}?")),
    Topic(5, True,
          ("Cancel my order", "Cancel order #{order}"),
          ("Please cancel order #{order}, I ordered it by mistake.",
           "I want to cancel order #{order} from {order_date} before it ships.")),
    Topic(5, True,
          ("Invoice request", "VAT invoice needed"),
          ("I need an invoice for order #{order} for my company.",
           "The invoice for order #{order} shows the wrong address.")),
    Topic(9, False,
          ("Payment declined", "Charged twice"),
          ("My card was declined although it works everywhere else.",
           "I was charged twice for the same purchase.")),
    Topic(12, False,
          ("Cannot log in", "Password reset not working", "Please close my account"),
          ("I cannot log in to my account since yesterday.",
           "The password reset email never arrives.",
           "I would like to close my account and delete my data.")),
    Topic(5, False,
          ("Update delivery address", "Change of address"),
          ("I have moved and need to update my delivery address.",
           "Please change the address on my account.")),
    Topic(11, False,
          ("Product question", "Question about warranty", "Back in stock?"),
          ("Does the {product} come with a warranty?",
           "When will the {product} be back in stock?",
           "Is the {product} suitable for a beginner?")),
)
# fmt: on

GREETINGS = (
    "Hello,", "Hi,", "Hi there,", "Dear support team,", "Good morning,", "Hello team,", "",
)  # fmt: skip

FOLLOW_UPS = (
    "Could you please look into it?",
    "This is the second time this has happened.",
    "I would appreciate a quick answer.",
    "I have attached a photo.",
    "Please let me know what you need from me.",
    "I have been a customer for years and this is disappointing.",
    "Thank you for your help.",
    "",
)

#: sentences that put an email address in the body
EMAIL_MENTIONS = (
    "You can reach me at {email}.",
    "Please reply to {email}.",
    "My email is {email} in case you need it.",
)
#: sentences that put a phone number in the body
PHONE_MENTIONS = (
    "Please call me on {phone}.",
    "You can reach me by phone at {phone}.",
    "Call me back at {phone}, I am available after 5 pm.",
)

SIGN_OFFS = (
    "Thanks, {first}", "Best regards, {name}", "Regards, {name}", "Cheers", "Thanks",
    "Kind regards, {first}",
)  # fmt: skip
