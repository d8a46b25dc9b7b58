"""Image preprocessing layers at inference (ops/image_preprocessing.py) against Keras:
Resizing (nearest, bilinear, crop_to_aspect_ratio, pad_to_aspect_ratio), CenterCrop,
RandomCrop, AutoContrast and the augmentation layers that return their input at
inference.  Keras 3 .keras, tf-keras .h5 where tf-keras has the class, weights-only
files with their architecture JSON, embedded and resource weights.  Tolerance 1e-5."""
from __future__ import annotations

from dataclasses import replace

import pytest

from support.cases_preprocessing import L, seq
from support.battery import KerasBattery
from support.keras_cases import Case, prepare

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]


def both(case_id, build, **kw):
    """The row in Keras 3 and in tf-keras."""
    return [Case(case_id, build, **kw), Case(case_id + "/tf_h5", build, "tf_h5", **kw)]


def conv_then(*layers, shape=(9, 8, 3), head=True):
    """Input -> Conv2D (so the image has a trained producer) -> layers -> (Flatten -> Dense)."""
    return seq(shape, L("Conv2D", 3, 2, padding="same"), *layers, head=head)


RESIZING = [
    *both("resizing/bilinear_down", conv_then(L("Resizing", 5, 4))),
    *both("resizing/bilinear_up", seq((4, 5, 2), L("Resizing", 7, 9))),
    *both("resizing/nearest_down", conv_then(L("Resizing", 4, 6, interpolation="nearest"))),
    *both("resizing/nearest_up", seq((3, 4, 2), L("Resizing", 7, 5, interpolation="nearest"))),
    *both("resizing/crop_to_aspect_ratio", conv_then(L("Resizing", 4, 6, crop_to_aspect_ratio=True))),
    *both("resizing/crop_to_aspect_ratio_up", seq((5, 3, 2), L("Resizing", 8, 8, crop_to_aspect_ratio=True))),
    Case("resizing/crop_to_aspect_ratio_nearest", conv_then(L("Resizing", 3, 7, interpolation="nearest",
                                                              crop_to_aspect_ratio=True))),
    Case("resizing/pad_to_aspect_ratio", seq((6, 9, 3), L("Resizing", 5, 5, pad_to_aspect_ratio=True,
                                                          fill_value=0.5))),
    Case("resizing/pad_to_aspect_ratio_wide", seq((7, 3, 2), L("Resizing", 4, 6, pad_to_aspect_ratio=True))),
    Case("resizing/nearest_antialias", seq((6, 6, 2), L("Resizing", 4, 3, interpolation="nearest",
                                                         antialias=True))),
    Case("resizing/bilinear_antialias_down", conv_then(L("Resizing", 4, 3, antialias=True))),
    Case("resizing/bilinear_antialias_up", seq((3, 4, 2), L("Resizing", 7, 9, antialias=True))),
    Case("resizing/bilinear_antialias_mixed", seq((11, 4, 2), L("Resizing", 3, 7, antialias=True))),
    Case("resizing/bilinear_antialias_crop", conv_then(L("Resizing", 3, 5, antialias=True,
                                                         crop_to_aspect_ratio=True))),
    Case("resizing/channels_first", seq((3, 9, 8), L("Resizing", 5, 4, data_format="channels_first"))),
    Case("resizing/time_distributed", seq((3, 6, 5, 2), lambda k: k.layers.TimeDistributed(k.layers.Resizing(4, 3)))),
    Case("resizing/weights_only", conv_then(L("Resizing", 5, 4)), weights_only=True),
    Case("resizing/weights_only/tf_h5", conv_then(L("Resizing", 5, 4)), "tf_h5", weights_only=True),
]

CROPS = [
    *both("center_crop/window", conv_then(L("CenterCrop", 5, 4))),
    *both("center_crop/smaller_input", seq((4, 5, 3), L("CenterCrop", 6, 6))),
    *both("center_crop/one_axis_smaller", conv_then(L("CenterCrop", 5, 10))),
    Case("random_crop/tf_h5", conv_then(L("RandomCrop", 5, 4)), "tf_h5"),
    Case("random_crop/upsize/tf_h5", seq((4, 5, 3), L("RandomCrop", 6, 7)), "tf_h5"),
    Case("random_crop/same_size", conv_then(L("RandomCrop", 9, 8))),
    Case("center_crop/weights_only", conv_then(L("CenterCrop", 5, 4)), weights_only=True),
]

AUTO_CONTRAST = [
    # straight on the input, no Dense head: the 0..255 stretch multiplies the float32 rounding of
    # a layer before it, and outputs up to 255 summed into a small logit lose digits
    Case("auto_contrast/value_range_255", seq((9, 8, 3), L("AutoContrast"), head=False), input_scale=100.0),
    Case("auto_contrast/value_range_unit", conv_then(L("AutoContrast", value_range=(0, 1)))),
    Case("auto_contrast/value_range_signed", seq((5, 6, 2), L("AutoContrast", value_range=(-1, 1))), input_scale=2.0),
    Case("auto_contrast/weights_only", conv_then(L("AutoContrast", value_range=(0, 1))), weights_only=True),
]

KERAS3_AUGMENT = [L("RandomFlip"), L("RandomZoom", 0.3), L("RandomRotation", 0.2), L("RandomTranslation", 0.2, 0.1),
                  L("RandomContrast", 0.4), L("RandomBrightness", 0.3), L("RandomHue", 0.3, value_range=(0, 1)),
                  L("RandomSaturation", 0.3, value_range=(0, 1)), L("RandomSharpness", 0.3, value_range=(0, 1)),
                  L("RandomGrayscale", 0.5), L("RandomShear", (0.1, 0.3), (0.0, 0.2)), L("RandomPerspective", 0.5),
                  L("RandomColorJitter", value_range=(0, 1), brightness_factor=0.2, contrast_factor=0.2),
                  L("RandomColorDegeneration", 0.5), L("RandomInvert", 0.5, value_range=(0, 1)),
                  L("RandomPosterization", (1, 4), value_range=(0, 1)), L("RandomErasing", 0.5, value_range=(0, 1)),
                  L("RandomGaussianBlur", 0.5, value_range=(0, 1)), L("RandomElasticTransform", 0.5,
                                                                       value_range=(0, 1)),
                  L("AugMix", value_range=(0, 1)), L("CutMix"), L("MixUp"), L("RandAugment", value_range=(0, 1)),
                  L("Solarization", 0.3, 0.3, value_range=(0, 1)), L("SpatialDropout2D", 0.3)]
# (Equalization is identity at inference too, but Keras 3.15 cannot build it into a model: its
# symbolic call returns its input, "part of a cycle")
TF_KERAS_AUGMENT = [L("RandomFlip"), L("RandomZoom", 0.3), L("RandomRotation", 0.2), L("RandomTranslation", 0.2, 0.1),
                    L("RandomContrast", 0.4), L("RandomBrightness", 0.3), L("SpatialDropout2D", 0.3)]

IDENTITY = [
    Case("augmentation/identity_at_inference", conv_then(*KERAS3_AUGMENT)),
    Case("augmentation/identity_at_inference/tf_h5", conv_then(*TF_KERAS_AUGMENT), "tf_h5"),
    Case("augmentation/random_height_width/tf_h5", seq((6, 5, 2), L("RandomHeight", 0.3), L("RandomWidth", 0.3),
                                                       head=False), "tf_h5"),
    Case("augmentation/weights_only", conv_then(*KERAS3_AUGMENT[:6]), weights_only=True),
    *both("augmentation/spatial_dropout_3d", seq((3, 4, 5, 2), L("SpatialDropout3D", 0.3))),
]

BASE = RESIZING + CROPS + AUTO_CONTRAST + IDENTITY
#: rows whose models hold weights (a Conv2D) run again with resource weights
RESOURCE = ("resizing/bilinear_down", "resizing/crop_to_aspect_ratio", "center_crop/window", "random_crop",
            "auto_contrast/value_range_unit", "augmentation/identity_at_inference")
CASES = BASE + [replace(c, id=c.id + "/resource", weights="resource") for c in BASE
                if c.id.split("/tf_h5")[0] in RESOURCE]

battery = KerasBattery([(prepare, CASES)], seed=7700, package="k2jtest.imgpre", workdir="image_preprocessing")
prepared, batch, test_matches_keras = battery.tests()


def test_inference_changes_are_refused_by_name(tmp_path):
    """Keras 3 RandomCrop to another size (Keras returns the input unchanged, against the
    shape it records) and bicubic Resizing: one error naming each."""
    from keras2java import UnsupportedModelError, convert
    from support.keras_cases import keras

    k = keras()
    x = k.Input((9, 8, 3))
    a = k.layers.RandomCrop(5, 4, name="crop_other_size")(x)
    b = k.layers.Resizing(4, 4, interpolation="bicubic", name="bicubic")(x)
    k.Model(x, [a, b]).save(tmp_path / "m.keras")
    with pytest.raises(UnsupportedModelError) as err:
        convert(str(tmp_path / "m.keras"), str(tmp_path / "out"), package="p", class_name="M")
    text = str(err.value)
    assert "crop_other_size" in text and "returns its (9, 8) input unchanged at inference" in text
    assert "bicubic" in text and "interpolation='bicubic' is not supported" in text
    assert not (tmp_path / "out").exists()
