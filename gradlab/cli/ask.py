"""``gradlab ask WORDS``: the entries of the answer index that match, with their answers and
pointers (see :func:`register`)."""

from __future__ import annotations

import argparse
import sys

from gradlab.cli.common import UsageError, check_output_file


def _ask_text(q, width: int = 88) -> str:
    """One entry of the answer index as terminal text."""
    import textwrap

    also = f"; also source {', '.join(q.also_in)}" if q.also_in else ""
    lines = [f"{q.id}  [{q.topic}]  {q.ref}{also}", f"  {q.question_zh}",
             *textwrap.wrap(q.question_en, width, initial_indent="  ",
                            subsequent_indent="  "), ""]
    lines += textwrap.wrap(q.answer, width, initial_indent="  ", subsequent_indent="  ")
    pointers = [("experiments", q.experiments), ("code", q.code), ("commands", q.commands),
                ("tests", q.tests), ("errata", q.errata)]
    if any(items for _, items in pointers):
        lines.append("")
    for name, items in pointers:
        if name in ("experiments", "errata") and items:
            items = textwrap.wrap(", ".join(items), width - 15, break_on_hyphens=False)
        for i, item in enumerate(items):
            lines.append(f"  {name + ':' if i == 0 else '':<13}{item}")
    if q.experiments:
        lines.append(f"  {'run:':<13}gradlab lab --question {q.id}")
    return "\n".join(lines)


def _ask(args: argparse.Namespace) -> int:
    """Print the entries of the answer index that match the words."""
    from gradlab.lab import questions

    if args.limit < 1:
        raise UsageError(f"--limit must be >= 1, got {args.limit}")
    if not args.words and not args.html:
        raise UsageError("WORD: give words to search for, e.g. gradlab ask batchnorm 学习率 "
                         "(or --html PATH to write the whole index)")
    if args.html:
        from gradlab.lab.report import write_questions_html

        check_output_file(args.html, "--html", overwrite=True)  # a generated page: replaced
        try:
            path = write_questions_html(args.html)
        except OSError as exc:
            raise UsageError(f"--html {args.html}: cannot write: {exc.strerror or exc}") from None
        print(f"wrote {path} ({len(questions.QUESTIONS)} questions)")
        if not args.words:
            return 0
    query = " ".join(args.words)
    found = questions.search(args.words)
    if not found:
        print(f"gradlab ask: no question matches {query!r} (the index has "
              f"{len(questions.QUESTIONS)} questions; try other English or Chinese words, or "
              "a topic: " + ", ".join(questions.TOPICS) + ")", file=sys.stderr)
        return 1
    shown = found[:args.limit]
    for q in shown:
        print(_ask_text(q))
        print()
    more = len(found) - len(shown)
    print(f"{len(found)} question{'s' if len(found) != 1 else ''} match {query!r} (those "
          "with every word first)"
          + (f"; showing the best {len(shown)} (--limit {len(found)} shows all)" if more
             else ""))
    return 0


def register(sub) -> None:
    """Add this module's sub-commands to ``sub`` (argparse sub-parsers of ``gradlab``)."""
    a = sub.add_parser(
        "ask", help="find the questions of the sources that match some words, with their "
        "answers and what in gradlab shows them",
        description="Search the answer index (every question and heading of the sources: the "
        "question in Chinese and English, a short answer, and pointers to experiments, code, "
        "commands and tests) for Chinese or English words, case-insensitive, and print the "
        "matching entries, best first. Exit status 1 when nothing matches.")
    a.add_argument("words", nargs="*", metavar="WORD", help="words to look for (all of them "
                   "ranks first), e.g. batchnorm, 梯度消失, dropout")
    a.add_argument("--limit", type=int, default=5, help="print at most this many entries "
                   "(default 5)")
    a.add_argument("--html", default=None, metavar="PATH",
                   help="also write the whole index as one HTML page (searchable offline) "
                   "to PATH")
    a.set_defaults(func=_ask)
