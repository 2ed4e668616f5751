/** gRPC method paths, as sent in the HTTP/2 `:path` header. */
export const PREDICT_METHOD = '/tensorflow.serving.PredictionService/Predict';
export const GET_MODEL_METADATA_METHOD = '/tensorflow.serving.PredictionService/GetModelMetadata';
export const GET_MODEL_STATUS_METHOD = '/tensorflow.serving.ModelService/GetModelStatus';
