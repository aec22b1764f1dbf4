"""Input and output serializers of the personalization endpoints."""
