"""The model curves keep their legends off the axis titles."""

from ui.components.charts import pr_chart, roc_chart

CURVES = [("model a", [0.0, 0.1, 1.0], [0.0, 0.9, 1.0]), ("model b", [0.0, 0.5, 1.0], [0, 0.7, 1])]


def test_curve_legends_sit_inside_the_plot_not_over_the_x_axis_title() -> None:
    for fig in (roc_chart(CURVES), pr_chart(CURVES, base_rate=0.3)):
        legend = fig.layout.legend
        assert fig.layout.xaxis.title.text  # the title the old legend (y=-0.15) covered
        assert 0 <= legend.y <= 1 and 0 <= legend.x <= 1, legend
        assert legend.yanchor == "bottom" and legend.bgcolor
