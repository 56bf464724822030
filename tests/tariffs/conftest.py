from tests.tariffs.harness import pipeline, pipeline_settings

__all__ = ["pipeline", "pipeline_settings"]
