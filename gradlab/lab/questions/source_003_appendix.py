"""The answer index: source 003, appendix B (003-appendix-receptive-fields, 003-iou)."""

from __future__ import annotations

from .entry import Question

# ----------------------------------------------------------------------------- 附录 B

_APPENDIX = (
    Question(
        id="003-appendix-receptive-fields", source="003", ref="source 003 L869-921",
        topic="convolution",
        question_zh="计算 AlexNet VGG 网络的感受野",
        question_en="Compute the receptive fields of AlexNet and VGG (the appendix script).",
        answer="The script walks the layers' [kernel, stride, padding] lists: outFromIn "
        "applies the output-size formula layer by layer and inFromOut runs the receptive "
        "field back from one unit with RF = (RF - 1) stride + kernel. gradlab.tools."
        "receptive_field reproduces its tables for the source's specs and for the zoo's "
        "AlexNet, VGG16 and ZFNet: at 224 the last rows have fields of 195 (AlexNet pool5), "
        "212 (VGG16 pool5) and 139 (ZF-5 conv5). The script is Python 2 (print statements), "
        "where / on integers rounds down, so its sizes round every layer down, against the "
        "source's own rule that pooling rounds up. `gradlab rf MODEL --measure` checks each "
        "field against the pixels that autograd finds reaching the unit.",
        code=("gradlab.tools.receptive_field", "gradlab.models.AlexNet",
              "gradlab.models.VGG16", "gradlab.models.ZFNet"),
        commands=("gradlab rf alexnet --input 224", "gradlab rf vgg16 --input 224",
                  "gradlab rf zfnet --input 224"),
        tests=("tests/test_tools_receptive_field.py::test_spec_tables_equal_seed_script",
               "tests/test_tools_receptive_field.py::test_zoo_classics_walked_give_seed_tables",
               "tests/test_tools_receptive_field.py::"
               "test_seed_pooling_rule_disagrees_with_its_script"),
        errata=("pooling-rounding",)),
    Question(
        id="003-iou", source="003", ref="source 003 L924-942", topic="general",
        question_zh="IoU 计算",
        question_en="Computing the intersection over union (IoU) of two boxes.",
        answer="IoU = area(A and B) / area(A or B), with the union area(A) + area(B) minus "
        "the intersection. For boxes (x1, y1, x2, y2) the intersection runs from the larger "
        "lower edge to the smaller upper edge on each axis: max(ax1, bx1) to min(ax2, bx2) "
        "and max(ay1, by1) to min(ay2, by2), with width and height clipped at 0. The source's "
        "snippet does not run (full-width commas, and it unpacks cx1 twice and never sets "
        "cy2), and with those fixed it takes min and max the wrong way round on the y axis, "
        "which measures the union's extent there. gradlab.tools.box_iou computes IoU for "
        "sets of boxes and is checked by counting pixels.",
        code=("gradlab.tools.box_iou", "gradlab.tools.box_area"),
        tests=("tests/test_tools_boxes.py::test_iou_and_area_against_pixel_counting",
               "tests/test_tools_boxes.py::test_seed_snippet_as_printed_does_not_parse",
               "tests/test_tools_boxes.py::test_seed_snippet_bugs"),
        errata=("iou-snippet-does-not-run", "iou-snippet-y-extent")),
)
