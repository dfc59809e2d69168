from ui.words import counted


def test_the_noun_follows_the_number() -> None:
    assert counted(1, "model") == "1 model"
    assert counted(0, "model") == "0 models"
    assert counted(2_000, "finished task") == "2,000 finished tasks"
    assert counted(1, "class", "classes") == "1 class"
    assert counted(3, "class", "classes") == "3 classes"
