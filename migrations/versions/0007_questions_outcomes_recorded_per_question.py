"""questions: outcomes recorded per question

Each existing outcome becomes one question (the appointment's topic, its summary as the wording, the
outcome's result and grounds, the first instruction's body when it was forwarded); its instructions
belong to that question. The downgrade folds the questions back into one result per outcome (the first
question's) and moves the instructions back. Monitoring reads sessions by local date and slots by session:
both get an index.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 17:36:41.823433

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

RESULTS = ('resolved', 'explained', 'satisfied', 'refused', 'forwarded', 'forwarded_part', 'under_consideration')
WORDING_LENGTH = 300  # the citizen's summary, cut: the question's short wording


def upgrade():
    op.create_table('questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('outcome_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('wording', sa.Text(), nullable=False),
    sa.Column('result', sa.Enum(*RESULTS, name='outcome_result', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('grounds', sa.Text(), nullable=True),
    sa.Column('body_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_questions_body_id_bodies'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['outcome_id'], ['outcomes.id'], name=op.f('fk_questions_outcome_id_outcomes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_questions_topic_id_topics'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questions')),
    sa.UniqueConstraint('outcome_id', 'position', name=op.f('uq_questions_outcome_id_position'))
    )
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questions_body_id'), ['body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_questions_outcome_id'), ['outcome_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_questions_topic_id'), ['topic_id'], unique=False)

    # One question per existing outcome.
    op.execute(
        "INSERT INTO questions (outcome_id, position, topic_id, wording, result, grounds, body_id, created_at) "
        f"SELECT o.id, 1, a.topic_id, substr(a.summary, 1, {WORDING_LENGTH}), o.result, o.grounds, "
        "CASE WHEN o.result IN ('forwarded', 'forwarded_part') THEN "
        "(SELECT i.body_id FROM instructions i WHERE i.outcome_id = o.id ORDER BY i.id LIMIT 1) END, "
        "o.recorded_at FROM outcomes o JOIN appointments a ON a.id = o.appointment_id")

    with op.batch_alter_table('instructions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('question_id', sa.Integer(), nullable=True))
    op.execute("UPDATE instructions SET question_id = "
               "(SELECT q.id FROM questions q WHERE q.outcome_id = instructions.outcome_id)")
    with op.batch_alter_table('instructions', schema=None) as batch_op:
        batch_op.alter_column('question_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index(batch_op.f('ix_instructions_outcome_id'))
        batch_op.create_index(batch_op.f('ix_instructions_question_id'), ['question_id'], unique=False)
        batch_op.drop_constraint(batch_op.f('fk_instructions_outcome_id_outcomes'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_instructions_question_id_questions'), 'questions', ['question_id'], ['id'], ondelete='RESTRICT')
        batch_op.drop_column('outcome_id')

    with op.batch_alter_table('reception_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_reception_sessions_local_date', ['local_date'], unique=False)
    with op.batch_alter_table('slots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slots_session_id'), ['session_id'], unique=False)

    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_outcomes_outcome_result'), type_='check')
        batch_op.drop_column('result')
        batch_op.drop_column('grounds')


def downgrade():
    with op.batch_alter_table('slots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slots_session_id'))
    with op.batch_alter_table('reception_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_reception_sessions_local_date')

    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grounds', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('result', sa.Enum(*RESULTS, name='outcome_result', native_enum=False, create_constraint=True), nullable=True))
    op.execute("UPDATE outcomes SET "
               "result = (SELECT q.result FROM questions q WHERE q.outcome_id = outcomes.id ORDER BY q.position LIMIT 1), "
               "grounds = (SELECT q.grounds FROM questions q WHERE q.outcome_id = outcomes.id ORDER BY q.position LIMIT 1)")
    op.execute("UPDATE outcomes SET result = 'under_consideration' WHERE result IS NULL")
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.alter_column('result', existing_type=sa.String(length=19), nullable=False)

    with op.batch_alter_table('instructions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome_id', sa.Integer(), nullable=True))
    op.execute("UPDATE instructions SET outcome_id = "
               "(SELECT q.outcome_id FROM questions q WHERE q.id = instructions.question_id)")
    with op.batch_alter_table('instructions', schema=None) as batch_op:
        batch_op.alter_column('outcome_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f('fk_instructions_question_id_questions'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_instructions_outcome_id_outcomes'), 'outcomes', ['outcome_id'], ['id'], ondelete='RESTRICT')
        batch_op.drop_index(batch_op.f('ix_instructions_question_id'))
        batch_op.create_index(batch_op.f('ix_instructions_outcome_id'), ['outcome_id'], unique=False)
        batch_op.drop_column('question_id')

    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questions_topic_id'))
        batch_op.drop_index(batch_op.f('ix_questions_outcome_id'))
        batch_op.drop_index(batch_op.f('ix_questions_body_id'))

    op.drop_table('questions')
