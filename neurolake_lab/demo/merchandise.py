"""The demo shop's product categories: how names are built and where prices lie, by hand.

Each category names its products from three short lists through one pattern; the noun lists do not
overlap between categories, so product names are unique across the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    """One product category: its share of the catalogue, naming parts and price level."""

    name: str
    #: share of the catalogue
    weight: float
    #: ``str.format`` pattern over ``{0}``, ``{1}``, ``{2}``, one part from each list
    pattern: str
    parts: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
    #: median list price and spread (sigma of the log-normal) in the shop's currency
    median_price: float
    price_sigma: float
    #: extra mean units per order line (groceries come in several, televisions in one)
    extra_quantity: float


# fmt: off
CATEGORIES: tuple[Category, ...] = (
    Category(
        "Electronics", 18, "{0} {1} {2}",
        (
            ("Voltix", "Nordwave", "Quantra", "Lumio", "Sonaro", "Pixelon", "Corely", "Zentra"),
            ("Pro", "Mini", "Max", "Air", "Ultra", "Lite", "Plus", "X2", "S", "One"),
            ("Headphones", "Smartwatch", "Bluetooth Speaker", "Tablet", "Laptop", "Monitor",
             "Webcam", "Keyboard", "Power Bank", "E-Reader", "Drone", "Soundbar"),
        ),
        110.0, 0.95, -0.2,
    ),
    Category(
        "Books", 15, "{0} {1} ({2})",
        (
            ("Silent", "Hidden", "Last", "Golden", "Midnight", "Forgotten", "Little", "Broken",
             "Secret", "Distant", "Winter", "Crimson", "Quiet", "Wild", "Endless", "Paper"),
            ("Garden", "River", "Kingdom", "Letter", "Orchard", "Harbour", "Detective", "Atlas",
             "Lighthouse", "Cookbook", "Manifesto", "Journey", "Island", "Promise", "Mountain",
             "Alphabet"),
            ("Paperback", "Hardcover", "Box Set"),
        ),
        15.0, 0.45, 0.1,
    ),
    Category(
        "Home", 16, "{0} {1} {2}",
        (
            ("Hearth&Co", "Casa Bella", "Nordhaus", "Linen Lane", "Oakridge", "Mira", "Hygge Home",
             "Maison Claire"),
            ("Ceramic", "Bamboo", "Velvet", "Cast Iron", "Glass", "Linen", "Copper", "Walnut"),
            ("Table Lamp", "Throw Blanket", "Dutch Oven", "Vase", "Cushion Cover", "Bed Sheet Set",
             "Coffee Table", "Wall Clock", "Knife Block", "Bath Towel Set", "Storage Basket"),
        ),
        45.0, 0.7, 0.2,
    ),
    Category(
        "Garden", 9, "{0} {1} {2}",
        (
            ("GreenThumb", "Terra", "Bloomfield", "Rootwise", "Fernhill", "Hedgerow"),
            ("Heavy-Duty", "Compact", "Cordless", "Galvanised", "Eco", "Folding", "Solar"),
            ("Hedge Trimmer", "Garden Hose", "Planter", "Pruning Shears", "Lawn Mower",
             "Wheelbarrow", "Bird Feeder", "Garden Lights", "Compost Bin", "Seed Kit"),
        ),
        35.0, 0.8, 0.3,
    ),
    Category(
        "Toys", 11, "{0} {1} {2}",
        (
            ("Funtastic", "Brickly", "Wondertoy", "Kiddo", "Puzzlix", "Marble Bay", "Tiny Tinker"),
            ("Deluxe", "Junior", "Classic", "Wooden", "Rainbow", "Space", "Dino", "Mega"),
            ("Building Set", "Puzzle", "Plush Bear", "Race Track", "Doll House", "Board Game",
             "Robot Kit", "Train Set", "Kite", "Play Tent"),
        ),
        25.0, 0.6, 0.3,
    ),
    Category(
        "Sports", 12, "{0} {1} {2}",
        (
            ("Peakform", "Stridex", "AquaPro", "Trailborn", "Velocita", "IronCore", "Summit",
             "Kinetik"),
            ("Pro", "Trail", "Carbon", "All-Weather", "Lightweight", "Training", "Team"),
            ("Running Shoes", "Yoga Mat", "Dumbbell Set", "Tennis Racket", "Football",
             "Cycling Helmet", "Hiking Backpack", "Swim Goggles", "Jump Rope", "Water Bottle"),
        ),
        40.0, 0.8, 0.3,
    ),
    Category(
        "Beauty", 10, "{0} {1} {2}",
        (
            ("Lumière", "Purely", "Velour", "Aurelia", "Botanika", "Skinwise", "Dewdrop"),
            ("Hydrating", "Matte", "Vitamin C", "Rose", "Charcoal", "Argan", "Sensitive"),
            ("Face Cream", "Lipstick", "Shampoo", "Serum", "Body Lotion", "Eye Palette",
             "Cleanser", "Hand Cream", "Sunscreen SPF 50", "Perfume"),
        ),
        18.0, 0.5, 0.6,
    ),
    Category(
        "Grocery", 9, "{0} {1} {2}",
        (
            ("Green Valley", "Farmhouse", "Sunrise", "Old Mill", "Bella Terra", "Nordic Pantry"),
            ("Organic", "Fair Trade", "Whole Grain", "Extra Virgin", "Roasted", "Wildflower",
             "Dark"),
            ("Coffee Beans 500 g", "Olive Oil 750 ml", "Pasta 1 kg", "Honey 350 g",
             "Chocolate 100 g", "Green Tea 50 bags", "Granola 400 g", "Almonds 200 g",
             "Rice 2 kg", "Peanut Butter 340 g"),
        ),
        7.0, 0.5, 0.9,
    ),
)
# fmt: on
