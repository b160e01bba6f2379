from assessment_engine import create_app

app = create_app()
