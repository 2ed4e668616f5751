"""A Locust gRPC user like the seed's: one unary Predict of a pre-serialized request, timed around the call.

Env: BENCH_TARGET (host:port), BENCH_BODY (file with the serialized PredictRequest), BENCH_PACING (seconds
between a user's sends, Locust's constant_pacing; 0 = back to back).
"""
import os
import time

import grpc
import grpc.experimental.gevent as grpc_gevent
from locust import User, constant, constant_pacing, task

grpc_gevent.init_gevent()

TARGET = os.environ["BENCH_TARGET"]
PATH = "/tensorflow.serving.PredictionService/Predict"
with open(os.environ["BENCH_BODY"], "rb") as f:
    BODY = f.read()
PACING = float(os.environ.get("BENCH_PACING", "0"))


class PredictUser(User):
    wait_time = constant_pacing(PACING) if PACING > 0 else constant(0)

    def on_start(self):
        options = [("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]
        self.channel = grpc.insecure_channel(TARGET, options=options)
        self.predict_call = self.channel.unary_unary(PATH)

    @task
    def predict(self):
        start = time.perf_counter()
        length, error = 0, None
        try:
            length = len(self.predict_call(BODY, timeout=30))
        except grpc.RpcError as e:
            error = e
        self.environment.events.request.fire(
            request_type="grpc",
            name="Predict",
            response_time=(time.perf_counter() - start) * 1000,
            response_length=length,
            exception=error,
            context={},
        )
