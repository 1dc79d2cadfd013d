"""Build a frozen `Section` tree from a flat, ordered stream of headings and blocks.

Parsers decide *what* is a part, item, note or heading; this module decides *where* it goes:
parts hold items, items hold notes and headings, and plain headings nest by prominence (a
heading nests under a more prominent one and closes headings of equal or lower prominence).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ragkit.types import Block, Section, SectionKind, stable_id

#: structural rank: a section closes every open section of the same or a lower rank
_RANK: dict[str, int] = {"document": 0, "part": 1, "item": 2, "note": 3, "heading": 4}
#: Sections nest at most this deep (filings nest about 6 deep); a heading that would go deeper
#: becomes a sibling of the deepest one, so no walk of the tree can exhaust the stack.
MAX_DEPTH = 64


@dataclass(slots=True)
class HeadingMark:
    """A heading found by a parser: kind, number, title, and for plain headings a prominence.

    `prominence` orders plain headings (bigger is more prominent); `style` identifies headings
    written in the same style, which become siblings.
    """

    kind: SectionKind
    title: str
    number: str | None = None
    prominence: tuple[float, ...] = ()
    style: object = None
    page: int | None = None


@dataclass(slots=True)
class _Node:
    mark: HeadingMark
    blocks: list[Block] = field(default_factory=list)
    children: list[_Node] = field(default_factory=list)


def build_tree(doc_id: str, items: list[HeadingMark | Block], root_title: str = "") -> Section:
    """Turn the ordered stream into a Section tree rooted at a `document` section."""
    root = _Node(HeadingMark("document", root_title))
    stack: list[_Node] = [root]
    for item in items:
        if isinstance(item, Block):
            stack[-1].blocks.append(item)
            continue
        rank = _RANK[item.kind]
        while len(stack) > 1:
            top = stack[-1].mark
            top_rank = _RANK[top.kind]
            if top_rank < rank:
                break
            if top_rank == rank == _RANK["heading"]:
                if top.style == item.style:
                    stack.pop()
                    break
                if top.prominence > item.prominence:
                    break
            stack.pop()
        if len(stack) > MAX_DEPTH:
            stack.pop()  # deeper than any real outline: a sibling of the deepest heading
        node = _Node(item)
        stack[-1].children.append(node)
        stack.append(node)
    return _freeze(root, doc_id, (), 0, [0])


def _freeze(
    node: _Node, doc_id: str, path: tuple[str, ...], level: int, counter: list[int]
) -> Section:
    counter[0] += 1
    position = counter[0]
    mark = node.mark
    children = tuple(
        _freeze(child, doc_id, path + (child.mark.title,), level + 1, counter)
        for child in node.children
    )
    pages = [b.page for b in node.blocks if b.page is not None]
    if mark.page is not None:
        pages.append(mark.page)
    for child in children:
        if child.page_start is not None and child.page_end is not None:
            pages += [child.page_start, child.page_end]
    section_id = stable_id(doc_id, position, mark.kind, mark.number, mark.title)
    return Section(
        id=section_id,
        title=mark.title,
        level=level,
        path=path,
        kind=mark.kind,
        number=mark.number,
        blocks=tuple(node.blocks),
        children=children,
        page_start=min(pages) if pages else None,
        page_end=max(pages) if pages else None,
    )
