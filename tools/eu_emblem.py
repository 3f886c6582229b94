"""Write the EU emblem as SVG from its official geometry.

Geometry (https://european-union.europa.eu/principles-countries-history/symbols/european-flag_en):
a 3:2 blue rectangle; twelve gold five-pointed stars, upright, at the hours
of a clock on an invisible circle whose radius is one third of the height;
each star's outer radius is one eighteenth of the height.

    python tools/eu_emblem.py > theme/static/img/eu-emblem.svg
"""

import math

HEIGHT = 540
WIDTH = HEIGHT * 3 // 2
BLUE = "#003399"
GOLD = "#FFCC00"
INNER_RATIO = math.cos(math.radians(72)) / math.cos(math.radians(36))  # regular pentagram


def star_points(cx, cy, outer):
    inner = outer * INNER_RATIO
    points = []
    for k in range(10):
        angle = math.radians(-90 + 36 * k)
        radius = outer if k % 2 == 0 else inner
        points.append(f"{cx + radius * math.cos(angle):.3f},{cy + radius * math.sin(angle):.3f}")
    return " ".join(points)


def emblem_svg():
    cx, cy = WIDTH / 2, HEIGHT / 2
    circle, outer = HEIGHT / 3, HEIGHT / 18
    stars = []
    for hour in range(12):
        angle = math.radians(-90 + 30 * hour)
        x, y = cx + circle * math.cos(angle), cy + circle * math.sin(angle)
        stars.append(f'  <polygon fill="{GOLD}" points="{star_points(x, y, outer)}"/>')
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'width="{WIDTH}" height="{HEIGHT}">',
            f'  <rect width="{WIDTH}" height="{HEIGHT}" fill="{BLUE}"/>',
            *stars,
            "</svg>",
            "",
        ]
    )


if __name__ == "__main__":
    print(emblem_svg(), end="")
